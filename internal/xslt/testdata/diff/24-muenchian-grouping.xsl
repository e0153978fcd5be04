<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:key name="y" match="book" use="@year"/><xsl:template match="/"><r><xsl:for-each select="//book[generate-id()=generate-id(key('y',@year)[1])]"><xsl:sort select="@year"/><g year="{@year}"><xsl:for-each select="key('y',@year)"><t><xsl:value-of select="title"/></t></xsl:for-each></g></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
