<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:value-of select="sum(//book/@year) div count(//book)"/>|<xsl:value-of select="round(sum(//price) * 100) div 100"/>|<xsl:value-of select="floor(-0.5)"/>|<xsl:value-of select="ceiling(-0.5)"/>|<xsl:value-of select="round(-0.4)"/></r></xsl:template>
</xsl:stylesheet>
