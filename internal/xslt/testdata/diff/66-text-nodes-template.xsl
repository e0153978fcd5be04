<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="text()"><t><xsl:value-of select="normalize-space(.)"/></t></xsl:template><xsl:template match="/"><r><xsl:apply-templates select="//title/text() | //author/text()"/></r></xsl:template>
</xsl:stylesheet>
