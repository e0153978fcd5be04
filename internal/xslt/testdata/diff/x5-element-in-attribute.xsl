<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:variable name="v">a<b>c</b></xsl:variable><xsl:template match="/"><r x="{$v}"><xsl:attribute name="y"><xsl:copy-of select="$v"/></xsl:attribute></r></xsl:template>
</xsl:stylesheet>
