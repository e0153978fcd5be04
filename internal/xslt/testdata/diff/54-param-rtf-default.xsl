<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:call-template name="t"/><xsl:call-template name="t"><xsl:with-param name="p" select="//book[1]"/></xsl:call-template></r></xsl:template><xsl:template name="t"><xsl:param name="p"><dflt>d</dflt></xsl:param><v><xsl:value-of select="$p"/></v></xsl:template>
</xsl:stylesheet>
