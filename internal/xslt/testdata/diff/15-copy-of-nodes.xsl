<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:copy-of select="//book[1]/@*"/><xsl:copy-of select="//book[@lang='en']"/></r></xsl:template>
</xsl:stylesheet>
