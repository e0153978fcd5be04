<?xml version="1.0"?>
<xsl:stylesheet version="1.1" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:foo="urn:foo">
<xsl:template match="/"><r><xsl:future-thing><xsl:fallback><fb/></xsl:fallback></xsl:future-thing><xsl:if test="element-available('xsl:future-thing')">bad</xsl:if><xsl:if test="function-available('concat') and not(function-available('foo:bar'))">ok</xsl:if></r></xsl:template>
</xsl:stylesheet>
