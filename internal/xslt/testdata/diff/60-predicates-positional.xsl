<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><a><xsl:value-of select="//book[last()]/title"/></a><b><xsl:value-of select="(//book)[2]/title"/></b><c><xsl:value-of select="//book[position() mod 2 = 0][1]/title"/></c><d><xsl:value-of select="count(//book[price &gt; 10][@year=2005])"/></d><e><xsl:value-of select="//book[3]/preceding::title[1]"/></e><f><xsl:value-of select="count(//book/ancestor-or-self::*)"/></f></r></xsl:template>
</xsl:stylesheet>
