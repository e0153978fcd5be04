<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="book"><item id="{@id}" label="{{{title}}}" mixed="a{@year}b{price}c" lit="}}{{"/></xsl:template><xsl:template match="/"><r><xsl:apply-templates select="//book"/></r></xsl:template>
</xsl:stylesheet>
