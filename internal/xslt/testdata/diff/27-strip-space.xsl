<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:strip-space elements="*"/><xsl:preserve-space elements="keep"/><xsl:output method="text"/><xsl:template match="/">[<xsl:for-each select="//text()"><xsl:value-of select="."/>|</xsl:for-each>]</xsl:template>
</xsl:stylesheet>
