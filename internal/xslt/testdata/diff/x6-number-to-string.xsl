<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:value-of select="concat(1000000 * 1000000 * 1000000 * 1000, ' ', -0, ' ', 0.1 + 0.2, ' ', 1 div 3, ' ', -1.5, ' ', 123456789012, ' ', 0.000001, ' ', number(' 12 '), ' ', number('-.5'), ' ', 7 mod -3, ' ', -7 mod 3)"/></r></xsl:template>
</xsl:stylesheet>
