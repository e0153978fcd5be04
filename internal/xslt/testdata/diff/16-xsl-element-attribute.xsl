<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="book"><xsl:element name="{title}"><xsl:attribute name="y{@year}">v</xsl:attribute><xsl:attribute name="n:x" namespace="urn:n">1</xsl:attribute><xsl:element name="q:sub" namespace="urn:q"/></xsl:element></xsl:template><xsl:template match="/"><r><xsl:apply-templates select="//book"/></r></xsl:template>
</xsl:stylesheet>
