<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="book"><b><xsl:attribute name="class"><xsl:choose><xsl:when test="@lang='en'">english</xsl:when><xsl:otherwise>other-<xsl:value-of select="@lang"/></xsl:otherwise></xsl:choose></xsl:attribute></b></xsl:template><xsl:template match="/"><r><xsl:apply-templates select="//book"/></r></xsl:template>
</xsl:stylesheet>
