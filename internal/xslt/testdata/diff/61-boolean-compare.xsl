<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:value-of select="concat(//price = 12, ',', //price != 12, ',', //price &lt; 8, ',', not(//nothing), ',', '1' = 1, ',', true() = 'x', ',', //book/@year = '1987', ',', 2 &gt; '10')"/></r></xsl:template>
</xsl:stylesheet>
