<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//w"><xsl:sort select="." data-type="number"/><xsl:sort select="@k" order="descending"/><x><xsl:value-of select="."/><xsl:value-of select="@k"/></x></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
