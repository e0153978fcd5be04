<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:decimal-format name="eu" decimal-separator="," grouping-separator="."/><xsl:decimal-format name="odd" NaN="nan!" infinity="inf!" minus-sign="~"/><xsl:template match="/"><r><a><xsl:value-of select="format-number(1234567.891, '#.##0,00', 'eu')"/></a><b><xsl:value-of select="format-number(0 div 0, '0', 'odd')"/></b><c><xsl:value-of select="format-number(1 div 0, '0', 'odd')"/></c><d><xsl:value-of select="format-number(-5, '0', 'odd')"/></d></r></xsl:template>
</xsl:stylesheet>
