<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//book[3]/preceding-sibling::book | //book[1]/following-sibling::book[last()]"><i><xsl:value-of select="@id"/></i></xsl:for-each><xsl:for-each select="//title[.='DOM']/ancestor::*"><a><xsl:value-of select="name()"/></a></xsl:for-each></r></xsl:template>
</xsl:stylesheet>
