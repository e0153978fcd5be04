<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="processing-instruction('a')"><pa><xsl:value-of select="."/></pa></xsl:template><xsl:template match="processing-instruction()"><p n="{name()}"/></xsl:template><xsl:template match="comment()"><c><xsl:value-of select="."/></c></xsl:template>
</xsl:stylesheet>
