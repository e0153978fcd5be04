<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:variable name="num"><n>4</n><n>2</n></xsl:variable>
<xsl:template match="/"><r><xsl:value-of select="$num = '42'"/></r></xsl:template>
</xsl:stylesheet>
