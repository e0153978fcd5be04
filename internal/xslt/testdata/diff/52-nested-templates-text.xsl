<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/><xsl:template match="catalog"><xsl:for-each select="book"><xsl:apply-templates select="title"/><xsl:text>: </xsl:text><xsl:apply-templates select="author"/><xsl:text>&#10;</xsl:text></xsl:for-each></xsl:template><xsl:template match="author">by <xsl:value-of select="."/></xsl:template>
</xsl:stylesheet>
