<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:key name="by-author" match="book" use="author"/><xsl:key name="by-year" match="book" use="@year"/><xsl:template match="/"><r><xsl:for-each select="key('by-author','Kay')"><k><xsl:value-of select="title"/></k></xsl:for-each><y><xsl:value-of select="count(key('by-year', //book/@year))"/></y><z><xsl:value-of select="count(key('by-year','1900'))"/></z></r></xsl:template>
</xsl:stylesheet>
