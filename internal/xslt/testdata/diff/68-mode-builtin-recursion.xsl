<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:apply-templates mode="x"/></r></xsl:template><xsl:template match="author" mode="x"><a><xsl:value-of select="."/></a></xsl:template><xsl:template match="text()" mode="x"/>
</xsl:stylesheet>
