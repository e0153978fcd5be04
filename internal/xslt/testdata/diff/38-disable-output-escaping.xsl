<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/><xsl:template match="/"><xsl:text disable-output-escaping="yes">&lt;raw&gt;</xsl:text><xsl:value-of select="'&amp;x'" disable-output-escaping="yes"/></xsl:template>
</xsl:stylesheet>
