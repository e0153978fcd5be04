<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//book"><xsl:value-of select="position()"/>/<xsl:value-of select="last()"/><xsl:if test="position()!=last()">,</xsl:if></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
