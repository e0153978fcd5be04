<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:key name="by-author" match="book" use="author"/><xsl:template match="/"><totals><xsl:for-each select="//book[count(. | key('by-author', author)[1]) = 1]"><xsl:sort select="author"/><author name="{author}" books="{count(key('by-author', author))}" sum="{sum(key('by-author', author)/price)}" max="{key('by-author', author)[not(../book[author = current()/author]/price &gt; price)]/price}"/></xsl:for-each></totals></xsl:template>
</xsl:stylesheet>
