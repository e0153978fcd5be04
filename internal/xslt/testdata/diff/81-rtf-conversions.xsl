<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:variable name="empty"><xsl:if test="false()">x</xsl:if></xsl:variable>
<xsl:variable name="num"><n>4</n><n>2</n></xsl:variable>
<xsl:variable name="ns1" select="//b[@x='1']"/>
<xsl:variable name="ns2" select="//b[@x='2']"/>
<xsl:template match="/">
<r>
<v n="1"><xsl:if test="$empty">true</xsl:if>|<xsl:value-of select="boolean($empty)"/>|<xsl:value-of select="string-length($empty)"/></v>
<v n="2"><xsl:value-of select="$num * 2"/>|<xsl:value-of select="$num = 42"/>|<xsl:value-of select="concat($num, '!')"/></v>
<v n="3"><xsl:value-of select="count($ns1 | $ns2)"/>|<xsl:value-of select="count(($ns1 | $ns2)[@id != 'b1'])"/>|<xsl:value-of select="$ns2/@id"/>|<xsl:value-of select="count($ns1/following-sibling::b)"/></v>
<v n="4"><xsl:value-of select="$ns1 = $ns2"/>|<xsl:value-of select="$ns1 != $ns2"/>|<xsl:value-of select="$ns1/@x &lt; $ns2/@x"/>|<xsl:value-of select="//b/@x = 2"/></v>
<v n="5"><xsl:for-each select="$ns2"><xsl:value-of select="position()"/>:<xsl:value-of select="."/></xsl:for-each></v>
<v n="6"><xsl:value-of select="number($num)"/>|<xsl:value-of select="string($num)"/>|<xsl:value-of select="$num &gt; 41"/></v>
</r>
</xsl:template>
</xsl:stylesheet>
