<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="book"><xsl:copy><xsl:copy-of select="@year"/><xsl:attribute name="year">changed</xsl:attribute><xsl:copy-of select="@id"/></xsl:copy></xsl:template><xsl:template match="/"><r><xsl:apply-templates select="//book"/></r></xsl:template>
</xsl:stylesheet>
