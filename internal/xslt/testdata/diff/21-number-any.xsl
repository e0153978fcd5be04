<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//note"><n><xsl:number level="any" from="chapter" format="(a)"/><xsl:text>/</xsl:text><xsl:number level="any"/></n></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
