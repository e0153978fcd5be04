<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:apply-templates select="//book/*"/></r></xsl:template><xsl:template match="*"><any/></xsl:template><xsl:template match="book/*"><child/></xsl:template><xsl:template match="title"><title/></xsl:template><xsl:template match="book[@lang='en']/title"><en-title/></xsl:template><xsl:template match="price" priority="-1"><low/></xsl:template><xsl:template match="author" priority="5"><high/></xsl:template>
</xsl:stylesheet>
