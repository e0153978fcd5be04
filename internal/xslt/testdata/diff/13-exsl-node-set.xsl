<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common" exclude-result-prefixes="exsl">
<xsl:variable name="frag"><item v="3"/><item v="1"/><item v="2"/></xsl:variable><xsl:template match="/"><r><xsl:for-each select="exsl:node-set($frag)/item"><xsl:sort select="@v"/><xsl:copy-of select="."/></xsl:for-each><xsl:value-of select="exsl:object-type($frag)"/></r></xsl:template>
</xsl:stylesheet>
