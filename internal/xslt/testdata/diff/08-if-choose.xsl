<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="book"><xsl:choose><xsl:when test="price &gt; 40"><exp><xsl:value-of select="title"/></exp></xsl:when><xsl:when test="price &gt; 10"><mid><xsl:value-of select="title"/></mid></xsl:when><xsl:otherwise><cheap><xsl:if test="@lang='de'"><xsl:attribute name="de">yes</xsl:attribute></xsl:if><xsl:value-of select="title"/></cheap></xsl:otherwise></xsl:choose></xsl:template><xsl:template match="/"><r><xsl:apply-templates select="//book"/></r></xsl:template>
</xsl:stylesheet>
