<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:number value="1234567" grouping-separator="," grouping-size="3"/>|<xsl:number value="3" format="i"/>|<xsl:number value="28" format="A"/>|<xsl:number value="7" format="001"/>|<xsl:number value="2.5"/>|<xsl:number value="1999" format="I"/></r></xsl:template>
</xsl:stylesheet>
