<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/">
<r>
<v n="1"><xsl:value-of select="count(//*[namespace-uri()=''])"/></v>
<v n="2"><xsl:value-of select="count(//node())"/></v>
<v n="3"><xsl:value-of select="//b[2]/ancestor::*[1]/@id"/></v>
<v n="4"><xsl:value-of select="(//a | //b)[last()]/@id"/></v>
<v n="5"><xsl:value-of select="count(//b[1])"/>-<xsl:value-of select="count((//b)[1])"/></v>
<v n="6"><xsl:value-of select="sum(/nothing)"/>,<xsl:value-of select="number('')"/>,<xsl:value-of select="'a' &lt; 'b'"/>,<xsl:value-of select="boolean('false')"/></v>
<v n="7"><xsl:value-of select="translate('abcabc','abc','A')"/>,<xsl:value-of select="substring('abc', 2)"/>,<xsl:value-of select="-'2'"/>,<xsl:value-of select="5 - -3"/>,<xsl:value-of select="10 div 4"/></v>
<v n="8"><xsl:value-of select="count(//div)"/>,<xsl:value-of select="count(//div) div 2"/>,<xsl:value-of select="count(//*[self::mod])"/></v>
<v n="9"><xsl:for-each select="//b[@id='b2']"><xsl:value-of select="following-sibling::*[1]/preceding-sibling::*[1]/@id"/>,<xsl:value-of select="normalize-space()"/>,<xsl:value-of select="count(preceding::*)"/>,<xsl:value-of select="count(following::*)"/>,<xsl:value-of select="count(preceding-sibling::node())"/></xsl:for-each></v>
<v n="10">[<xsl:value-of select="local-name(/)"/>]<xsl:value-of select="string-length(string(/))"/></v>
<v n="11"><xsl:value-of select="count(//@*/..)"/>,<xsl:value-of select="name(//@id[.='b2']/parent::*)"/></v>
<v n="12"><xsl:value-of select="//b[position()=last()-1]/@id"/>,<xsl:value-of select="//a/b[3][@id]/@id"/>,<xsl:value-of select="count(//b[not(@x)])"/>,<xsl:value-of select="//*[@x &gt; 1.5]/@id"/></v>
<v n="13"><xsl:value-of select="count(//text()[normalize-space()])"/>,<xsl:value-of select="count(/descendant::b) = count(//b)"/>,<xsl:value-of select="count(//a/descendant-or-self::node())"/></v>
<v n="14"><xsl:value-of select="concat(string(1 = 1.0), string(//b = 'two'), string(//b[@x] != //b[@x]))"/></v>
<v n="15"><xsl:value-of select="lang('fr')"/>,<xsl:for-each select="//b[lang('fr')]"><xsl:value-of select="@id"/></xsl:for-each></v>
</r>
</xsl:template>
</xsl:stylesheet>
