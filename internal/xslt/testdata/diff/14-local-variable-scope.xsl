<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:variable name="x" select="'global'"/><xsl:template match="/"><r><a><xsl:value-of select="$x"/></a><xsl:for-each select="//book[1]"><xsl:variable name="x" select="title"/><b><xsl:value-of select="$x"/></b></xsl:for-each><c><xsl:value-of select="$x"/></c></r></xsl:template>
</xsl:stylesheet>
