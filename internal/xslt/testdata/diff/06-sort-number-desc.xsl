<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//book"><xsl:sort select="price" data-type="number" order="descending"/><p><xsl:value-of select="price"/></p></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
