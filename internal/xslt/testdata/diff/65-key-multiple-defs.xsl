<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:key name="k" match="book" use="@lang"/><xsl:key name="k" match="book" use="author"/><xsl:template match="/"><r><xsl:for-each select="key('k', 'en') | key('k', 'Kay')"><i><xsl:value-of select="@id"/></i></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
