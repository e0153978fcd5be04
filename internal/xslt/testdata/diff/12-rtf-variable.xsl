<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:variable name="frag"><a>1</a><b>2</b></xsl:variable><xsl:template match="/"><r><s><xsl:value-of select="$frag"/></s><xsl:copy-of select="$frag"/><n><xsl:value-of select="string-length($frag)"/></n></r></xsl:template>
</xsl:stylesheet>
