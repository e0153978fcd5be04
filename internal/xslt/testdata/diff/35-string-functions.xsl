<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><a><xsl:value-of select="substring-before('2005-06-07','-')"/></a><b><xsl:value-of select="translate('Hello','lo','LO')"/></b><c><xsl:value-of select="normalize-space('  a   b  ')"/></c><d><xsl:value-of select="substring('12345', 1.5, 2.6)"/></d><e><xsl:value-of select="concat(string(true()), number('x'), round(2.5), round(-2.5), floor(-1.5))"/></e></r></xsl:template>
</xsl:stylesheet>
