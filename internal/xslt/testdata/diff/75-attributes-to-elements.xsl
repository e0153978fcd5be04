<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:strip-space elements="*"/><xsl:template match="*"><xsl:copy><xsl:for-each select="@*"><xsl:element name="{name()}"><xsl:value-of select="."/></xsl:element></xsl:for-each><xsl:apply-templates/></xsl:copy></xsl:template>
</xsl:stylesheet>
