<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/><xsl:template match="title"><xsl:number level="multiple" count="chapter|section" format="1.1. "/><xsl:value-of select="."/><xsl:text>&#10;</xsl:text></xsl:template><xsl:template match="text()"/>
</xsl:stylesheet>
