<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:param name="who" select="'nobody'"/><xsl:param name="n"/><xsl:template match="/"><r><xsl:value-of select="concat($who, ':', $n)"/></r></xsl:template>
</xsl:stylesheet>
