<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:call-template name="total"><xsl:with-param name="items" select="//book"/></xsl:call-template></r></xsl:template><xsl:template name="total"><xsl:param name="items"/><xsl:param name="acc" select="0"/><xsl:choose><xsl:when test="$items"><xsl:call-template name="total"><xsl:with-param name="items" select="$items[position() &gt; 1]"/><xsl:with-param name="acc" select="$acc + $items[1]/price * 2"/></xsl:call-template></xsl:when><xsl:otherwise><xsl:value-of select="$acc"/></xsl:otherwise></xsl:choose></xsl:template>
</xsl:stylesheet>
