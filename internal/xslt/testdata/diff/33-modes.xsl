<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:apply-templates select="//book" mode="a"/><xsl:apply-templates select="//book" mode="b"/></r></xsl:template><xsl:template match="book" mode="a"><a><xsl:value-of select="@id"/></a></xsl:template><xsl:template match="book" mode="b"><b><xsl:value-of select="title"/></b></xsl:template>
</xsl:stylesheet>
