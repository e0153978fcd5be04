<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//book"><xsl:variable name="y" select="@year"/><b id="{@id}"><xsl:for-each select="//book[@year = current()/@year]"><s><xsl:value-of select="@id"/></s></xsl:for-each><n><xsl:value-of select="count(//book[@year=$y])"/></n></b></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
