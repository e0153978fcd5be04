<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:apply-templates select="//book"/></r></xsl:template><xsl:template match="book"><n><xsl:number/>. <xsl:number format="a"/> <xsl:number format="I"/> <xsl:number format="(01)"/></n></xsl:template>
</xsl:stylesheet>
