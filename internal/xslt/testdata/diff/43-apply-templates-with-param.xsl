<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:apply-templates select="//book"><xsl:with-param name="prefix" select="'#'"/></xsl:apply-templates></r></xsl:template><xsl:template match="book"><xsl:param name="prefix" select="'?'"/><b><xsl:value-of select="concat($prefix, @id)"/></b></xsl:template>
</xsl:stylesheet>
