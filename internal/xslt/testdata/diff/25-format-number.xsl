<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><a><xsl:value-of select="format-number(1234567.891, '#,##0.00')"/></a><b><xsl:value-of select="format-number(0.256, '0.0%')"/></b><c><xsl:value-of select="format-number(-42, '#,##0;(#,##0)')"/></c><d><xsl:value-of select="format-number(3.14159, '000.###')"/></d><e><xsl:value-of select="format-number(5, '#.00')"/></e><f><xsl:value-of select="format-number(-0.5, '0.0')"/></f><g><xsl:value-of select="format-number(1234.5, '$#,##0.00 USD')"/></g><h><xsl:value-of select="format-number(100000, '#,####')"/></h></r></xsl:template>
</xsl:stylesheet>
