<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="us-ascii"/><xsl:strip-space elements="*"/><xsl:template match="catalog"><xsl:text>id,title,price&#10;</xsl:text><xsl:apply-templates/></xsl:template><xsl:template match="book"><xsl:value-of select="concat(@id, ',&quot;', title, '&quot;,', format-number(price, '0.00'))"/><xsl:text>&#10;</xsl:text></xsl:template>
</xsl:stylesheet>
