<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:apply-templates select="//book"><xsl:sort select="@year" data-type="number"/><xsl:sort select="title" order="descending"/></xsl:apply-templates></r></xsl:template><xsl:template match="book"><b y="{@year}"><xsl:value-of select="title"/></b></xsl:template>
</xsl:stylesheet>
