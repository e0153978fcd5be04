<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><a><xsl:value-of select="substring('12345', 0, 3)"/></a><b><xsl:value-of select="substring('12345', -42, 1 div 0)"/></b><c><xsl:value-of select="substring('12345', 0 div 0, 3)"/></c><d><xsl:value-of select="substring-after('a=b=c', '=')"/></d><e><xsl:value-of select="string-length('h&#233;llo')"/></e><f><xsl:value-of select="starts-with('abc', '')"/></f></r></xsl:template>
</xsl:stylesheet>
