<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:comment>a - b</xsl:comment><xsl:processing-instruction name="pi">data <xsl:value-of select="count(//book)"/></xsl:processing-instruction><xsl:comment><xsl:value-of select="//book[1]/title"/></xsl:comment></r></xsl:template>
</xsl:stylesheet>
