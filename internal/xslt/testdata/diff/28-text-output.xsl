<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/><xsl:template match="book"><xsl:value-of select="title"/>,<xsl:value-of select="@year"/><xsl:text>&#10;</xsl:text></xsl:template><xsl:template match="/"><xsl:apply-templates select="//book"/></xsl:template>
</xsl:stylesheet>
