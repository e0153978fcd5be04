<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:attribute-set name="base"><xsl:attribute name="a">1</xsl:attribute><xsl:attribute name="b">base</xsl:attribute></xsl:attribute-set><xsl:attribute-set name="more" use-attribute-sets="base"><xsl:attribute name="b">more</xsl:attribute><xsl:attribute name="c"><xsl:value-of select="count(//book)"/></xsl:attribute></xsl:attribute-set><xsl:template match="/"><r xsl:use-attribute-sets="more" c="lit"><xsl:element name="e" use-attribute-sets="base"/><xsl:for-each select="//book[1]"><xsl:copy use-attribute-sets="base"/></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
