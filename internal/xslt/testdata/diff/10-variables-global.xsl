<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:variable name="total" select="sum(//price)"/><xsl:variable name="avg" select="$total div $count"/><xsl:variable name="count" select="count(//book)"/><xsl:param name="p" select="'default'"/><xsl:template match="/"><r t="{$total}" a="{$avg}" p="{$p}"/></xsl:template>
</xsl:stylesheet>
