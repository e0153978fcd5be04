<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:value-of select="count(//book)"/>|<xsl:value-of select="sum(//price)"/>|<xsl:value-of select="//book[2]/title"/>|<xsl:value-of select="1 div 0"/>|<xsl:value-of select="0 div 0"/></r></xsl:template>
</xsl:stylesheet>
